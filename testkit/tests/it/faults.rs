//! Fault rules (status with Retry-After, HTML 502, dropped connection, delay, truncated body,
//! skip and times), the request log, counters and reset, seen through the SDK's clients.

use std::time::Duration;

use akamai_sdk::config::HttpConfig;
use akamai_sdk::edgekv::{ItemValue, Network, NewToken, Permission};
use akamai_sdk::retry::RetryPolicy;
use akamai_sdk::Error;
use akamai_sdk_testkit::{EdgeKvEmulator, Fault, FaultKind, LinodeEmulator, RecordedWaits};
use futures::TryStreamExt;

const ITEMS: &str = "/edgekv/v1/networks/*/namespaces/*/groups/*/items/*";

fn no_retry() -> HttpConfig {
    HttpConfig::new().with_retry(RetryPolicy::disabled())
}

fn status(err: &Error) -> Option<u16> {
    err.status().map(|s| s.as_u16())
}

#[tokio::test]
async fn a_status_fault_with_retry_after_is_retried_by_the_sdk() {
    let kv = EdgeKvEmulator::start().await.unwrap();
    let sleeps = RecordedWaits::default();
    let client = kv.client_with(
        HttpConfig::new()
            .with_retry(RetryPolicy::default().with_jitter(false))
            .with_sleeper(sleeps.clone()),
    );
    let group = client.group(Network::Staging, "default", "g");
    kv.inject(Fault::status("PUT", ITEMS, 429).retry_after(3).times(1));
    group.put("k", &ItemValue::text("v")).await.unwrap();
    assert_eq!(sleeps.taken(), [Duration::from_secs(3)]);
    let log = kv.requests();
    assert_eq!(
        log.iter().map(|r| (r.status, r.fault)).collect::<Vec<_>>(),
        [(429, Some("status")), (200, None)]
    );
    let counters = kv.counters();
    assert_eq!((counters.faults, counters.operation("put-item")), (1, 2));
}

#[tokio::test]
async fn skip_and_times_pick_which_requests_fail() {
    let kv = EdgeKvEmulator::start().await.unwrap();
    let client = kv.client_with(no_retry());
    let group = client.group(Network::Staging, "default", "g");
    group.put("k", &ItemValue::text("v")).await.unwrap();
    kv.inject(Fault::status("get", ITEMS, 503).skip(1).times(2));
    let mut outcomes = Vec::new();
    for _ in 0..5 {
        outcomes.push(group.get("k").await.map_err(|e| status(&e)).map(|_| 200));
    }
    assert_eq!(
        outcomes,
        [Ok(200), Err(Some(503)), Err(Some(503)), Ok(200), Ok(200)]
    );
    // Other methods and paths are untouched.
    group.put("k", &ItemValue::text("w")).await.unwrap();
    kv.clear_faults();
    kv.inject(Fault::status("*", "/edgekv/v1/tokens", 500));
    client.namespaces(Network::Staging).await.unwrap();
    let err = client
        .create_token(&NewToken::new("t").namespace("default", [Permission::R]))
        .await
        .unwrap_err();
    assert_eq!(status(&err), Some(500));
}

#[tokio::test]
async fn an_html_502_reaches_the_caller_as_an_api_error() {
    let kv = EdgeKvEmulator::start().await.unwrap();
    let client = kv.client_with(no_retry());
    kv.inject(Fault::new(
        "GET",
        "/edgekv/v1/auth/groups",
        FaultKind::Html502,
    ));
    let err = client.auth_groups().await.unwrap_err();
    assert_eq!(status(&err), Some(502));
    assert!(
        !err.to_string().contains("<HTML>"),
        "the HTML body is summarised: {err}"
    );
}

#[tokio::test]
async fn a_dropped_connection_after_the_write_leaves_the_write_done() {
    let kv = EdgeKvEmulator::start().await.unwrap();
    let client = kv.client_with(no_retry());
    let group = client.group(Network::Staging, "default", "g");
    kv.inject(Fault::new("PUT", ITEMS, FaultKind::DropAfterPerforming).times(1));
    let err = group
        .put("k", &ItemValue::text("stored anyway"))
        .await
        .unwrap_err();
    assert_eq!(status(&err), None, "no answer: {err}");
    assert_eq!(
        kv.item(Network::Staging, "default", "g", "k").unwrap().1,
        b"stored anyway"
    );
    assert_eq!(kv.requests()[0].status, 0);
    assert_eq!(group.get("k").await.unwrap().as_bytes(), b"stored anyway");
}

#[tokio::test]
async fn a_dropped_connection_before_the_write_leaves_nothing_done() {
    let kv = EdgeKvEmulator::start().await.unwrap();
    let client = kv.client_with(no_retry());
    let group = client.group(Network::Staging, "default", "g");
    kv.inject(Fault::new("PUT", ITEMS, FaultKind::DropBeforePerforming).times(1));
    let err = group
        .put("k", &ItemValue::text("never stored"))
        .await
        .unwrap_err();
    assert_eq!(status(&err), None, "no answer: {err}");
    assert_eq!(kv.item(Network::Staging, "default", "g", "k"), None);
    assert_eq!(kv.requests()[0].status, 0);
    assert_eq!(kv.requests()[0].fault, Some("drop-before"));
    group.put("k", &ItemValue::text("stored")).await.unwrap();
    assert_eq!(
        kv.item(Network::Staging, "default", "g", "k").unwrap().1,
        b"stored"
    );
}

#[tokio::test]
async fn a_delay_trips_the_client_timeout() {
    let kv = EdgeKvEmulator::start().await.unwrap();
    let client = kv.client_with(no_retry().with_timeout(Duration::from_millis(150)));
    kv.inject(
        Fault::new(
            "GET",
            "/edgekv/v1/**",
            FaultKind::Delay(Duration::from_millis(600)),
        )
        .times(1),
    );
    let started = std::time::Instant::now();
    let err = client.auth_groups().await.unwrap_err();
    assert!(matches!(err, Error::Timeout(_)), "{err}");
    assert!(started.elapsed() < Duration::from_millis(550));
    client.auth_groups().await.unwrap();
}

#[tokio::test]
async fn a_truncated_body_is_an_error_not_a_short_value() {
    let kv = EdgeKvEmulator::start().await.unwrap();
    let client = kv.client_with(no_retry());
    let group = client.group(Network::Staging, "default", "g");
    group
        .put("k", &ItemValue::bytes(vec![7u8; 4096]))
        .await
        .unwrap();
    kv.inject(Fault::new("GET", ITEMS, FaultKind::TruncatedBody).times(1));
    let err = group.get("k").await.unwrap_err();
    assert!(
        matches!(err, Error::Transport(_) | Error::Decode(_)),
        "{err}"
    );
    assert_eq!(group.get("k").await.unwrap().as_bytes().len(), 4096);
}

#[tokio::test]
async fn linode_pages_survive_a_rate_limited_page_and_mints_are_counted() {
    let linode = LinodeEmulator::builder()
        .children(60)
        .start()
        .await
        .unwrap();
    let sleeps = RecordedWaits::default();
    let parent = linode.parent_client_with(
        HttpConfig::new()
            .with_retry(RetryPolicy::default().with_jitter(false))
            .with_sleeper(sleeps.clone()),
    );
    linode.inject(
        Fault::status("GET", "/v4/account/child-accounts", 429)
            .retry_after(2)
            .skip(1)
            .times(1),
    );
    let all: Vec<_> = parent
        .child_accounts()
        .page_size(25)
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(all.len(), 60);
    assert_eq!(sleeps.taken(), [Duration::from_secs(2)]);
    assert_eq!(linode.counters().operation("get-child-accounts"), 4);
    let euuids = linode.euuids();
    for euuid in &euuids[..2] {
        parent
            .create_proxy_token(&euuid.parse().unwrap())
            .await
            .unwrap();
    }
    parent
        .create_proxy_token(&euuids[0].parse().unwrap())
        .await
        .unwrap();
    let counters = linode.counters();
    assert_eq!(
        (
            counters.mints_for(&euuids[0]),
            counters.mints_for(&euuids[1])
        ),
        (2, 1)
    );
    assert_eq!(counters.mints_for(&euuids[2]), 0);
}

#[tokio::test]
async fn reset_forgets_data_rules_log_and_counters() {
    let kv = EdgeKvEmulator::start().await.unwrap();
    let client = kv.client_with(no_retry());
    let group = client.group(Network::Staging, "default", "g");
    group.put("k", &ItemValue::text("v")).await.unwrap();
    kv.seed_namespace(Network::Production, "seeded", 86_400);
    kv.seed_item(Network::Production, "seeded", "g", "i", "text/csv", "a,b\n");
    let seeded = client
        .group(Network::Production, "seeded", "g")
        .get("i")
        .await
        .unwrap();
    assert_eq!(
        (seeded.content_type(), seeded.as_bytes()),
        (Some("text/csv"), &b"a,b\n"[..])
    );
    kv.inject(Fault::status("*", "**", 500));
    assert_eq!(status(&group.get("k").await.unwrap_err()), Some(500));
    kv.reset();
    assert!(kv.requests().is_empty());
    assert_eq!(kv.counters(), Default::default());
    assert_eq!(
        status(&group.get("k").await.unwrap_err()),
        Some(404),
        "data gone, rule gone"
    );
    assert_eq!(
        client.namespaces(Network::Production).await.unwrap().len(),
        1
    );
}

/// Which of `n` reads of one item a rule answered with its 503.
async fn injected(kv: &EdgeKvEmulator, rule: Fault, n: usize) -> Vec<bool> {
    kv.clear_faults();
    kv.inject(rule);
    let client = kv.client_with(no_retry());
    let group = client.group(Network::Staging, "default", "g");
    let mut pattern = Vec::with_capacity(n);
    for _ in 0..n {
        match group.get("k").await {
            Ok(_) => pattern.push(false),
            Err(err) => {
                assert_eq!(status(&err), Some(503), "{err}");
                pattern.push(true);
            }
        }
    }
    pattern
}

#[tokio::test]
async fn a_probability_rule_fires_on_a_seeded_fraction_of_the_requests() {
    let kv = EdgeKvEmulator::start().await.unwrap();
    kv.seed_item(Network::Staging, "default", "g", "k", "text/plain", "v");
    let half = |seed| Fault::status("GET", ITEMS, 503).probability(0.5).seed(seed);
    let first = injected(&kv, half(42), 200).await;
    let fired = first.iter().filter(|f| **f).count();
    assert!((70..=130).contains(&fired), "{fired} of 200");
    assert_eq!(kv.counters().faults, fired as u64);
    assert_eq!(
        injected(&kv, half(42), 200).await,
        first,
        "the same seed, the same requests"
    );
    assert_ne!(injected(&kv, half(43), 200).await, first);
    // Without a seed, the default one: still the same pattern every run.
    let unseeded = || Fault::status("GET", ITEMS, 503).probability(0.5);
    assert_eq!(
        injected(&kv, unseeded(), 50).await,
        injected(&kv, unseeded(), 50).await
    );
    // With times, it stops after firing that many times.
    let capped = injected(&kv, half(42).times(3), 200).await;
    assert_eq!(capped.iter().filter(|f| **f).count(), 3);
}

#[tokio::test]
async fn dropped_connections_after_a_random_fraction_of_the_writes_leave_them_done() {
    let kv = EdgeKvEmulator::start().await.unwrap();
    let client = kv.client_with(no_retry());
    let group = client.group(Network::Staging, "default", "g");
    kv.inject(
        Fault::new("PUT", ITEMS, FaultKind::DropAfterPerforming)
            .probability(0.25)
            .seed(7),
    );
    let mut dropped = 0;
    for i in 0..40 {
        if let Err(err) = group.put(&format!("k{i}"), &ItemValue::text("v")).await {
            assert_eq!(status(&err), None, "no answer: {err}");
            dropped += 1;
        }
    }
    assert!((1..40).contains(&dropped), "{dropped} of 40");
    assert_eq!(
        kv.requests()
            .iter()
            .filter(|r| r.fault == Some("drop"))
            .count(),
        dropped
    );
    for i in 0..40 {
        assert!(kv
            .item(Network::Staging, "default", "g", &format!("k{i}"))
            .is_some());
    }
}
